#!/bin/sh
# The layers of src/ (docs/architecture.md), checked from the #include lines:
#   base  includes only base
#   init  includes only base and init      (the supervisor knows no mail daemon)
#   mail  includes only base and mail
#   cli   may include anything
# and every "..." include names its layer (base/log.h), so the rule can be seen in the file.
# Exit 1 naming each include that breaks it.
set -eu
cd "$(dirname "$0")/.."
allowed() {
	case $1 in
	base) echo "base" ;;
	init) echo "base init" ;;
	mail) echo "base mail" ;;
	cli) echo "base init mail cli" ;;
	esac
}
bad=0
files=0
for file in src/*/*.c src/*/*.h; do
	layer=${file#src/}
	layer=${layer%%/*}
	case $layer in
	base | init | mail | cli) ;;
	*)
		echo "$file: $layer/ is no layer (base, init, mail, cli)"
		bad=1
		continue
		;;
	esac
	files=$((files + 1))
	ok=$(allowed "$layer")
	# Lines like: #include "mail/settings.h"
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
		while read -r included; do
			target=${included%%/*}
			if [ "$target" = "$included" ]; then
				echo "$file: #include \"$included\" names no layer (write \"$layer/$included\" or the layer it is in)"
				exit 1
			fi
			case " $ok " in
			*" $target "*) ;;
			*)
				echo "$file: $layer/ may not include $included (it may include: $ok)"
				exit 1
				;;
			esac
		done || bad=1
done
for file in src/*.c src/*.h; do
	[ -e "$file" ] || continue
	echo "$file: outside the layers (move it into src/base, init, mail or cli)"
	bad=1
done
[ "$bad" = 0 ] || exit 1
echo "layers: $files files in src/ keep the rule (base < init, mail < cli)"
