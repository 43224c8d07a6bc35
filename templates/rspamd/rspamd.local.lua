{{! rspamd's local Lua rules: /etc/rspamd/rspamd.local.lua, rendered by mailinit. }}
-- Rendered by mailinit at every start from templates/rspamd/rspamd.local.lua; edits are lost.
--
-- Submission (587, 465): the header From must be an address the login owns, its own or an
-- alias that leads to it: Postfix's sender-logins map, the one reject_sender_login_mismatch
-- checks the envelope sender against. Postfix cannot read the header; this rule can, and
-- force_actions.conf refuses the message (5.7.1) before OpenDKIM would sign it.
local logins = rspamd_config:add_map({
  type = "map",
  url = "{{ROOT}}/etc/postfix/sender-logins",
  description = "mailinit: the logins that may send as each address (sender-logins)",
})

rspamd_config:register_symbol({
  name = "MAILINIT_FROM_NOT_OWNED",
  score = 0.0,
  group = "mailinit",
  description = "A logged-in user's header From is no address of the login",
  callback = function(task)
    local user = task:get_user()
    if not user then
      return false
    end
    local from = task:get_from("mime")
    if not from or #from ~= 1 or not from[1].addr or from[1].addr == "" then
      return true, 1.0, "not one From address"
    end
    local address = string.lower(from[1].addr)
    local owners = logins:get_key(address)
    if owners then
      for owner in string.gmatch(owners, "[^%s,]+") do
        if string.lower(owner) == string.lower(user) then
          return false
        end
      end
    end
    return true, 1.0, address
  end,
})
