{{! rspamd's local Lua rules: /etc/rspamd/rspamd.local.lua, rendered by mailinit. }}
-- Rendered by mailinit at every start from templates/rspamd/rspamd.local.lua; edits are lost.
--
-- The header From of mail this server signs must be an address its author owns: its own or
-- an alias that leads to it, as Postfix's sender-logins map says (the map
-- reject_sender_login_mismatch checks the envelope sender against). Postfix cannot read the
-- header; this rule can, and force_actions.conf refuses the message (5.7.1) before OpenDKIM
-- would sign it. Two kinds of mail have an author here:
--   * submission (587, 465): the login is the author;
--   * mail made inside the server (Postfix's sendmail, which Dovecot uses for Sieve vacation
--     replies, notifications and redirects; cleanup names it "LOCAL", master.cf): the author is
--     the envelope sender, which Dovecot sets to the user's own address (dovecot.conf). A user
--     writes a vacation reply's From (":from") and text, so without this check any user could
--     have this server sign mail as any other. A redirect keeps its envelope sender, whose
--     From was checked when the message came in. Mail made here from <> names no author:
--     a From in our domains is refused (Sieve "reject", which would send such mail, is off).
-- Mail from trusted networks (relays the operator vouches for) is not checked.
local logins = rspamd_config:add_map({
  type = "map",
  url = "{{ROOT}}/etc/postfix/sender-logins",
  description = "mailinit: the logins that may send as each address (sender-logins)",
})

-- Our mail domains, written here rather than read from a map: a map not loaded yet (a worker
-- starting) would let mail through unchecked.
local own_domains = {}
for domain in string.gmatch("{{MAIL_DOMAINS_ALL}}", "[^%s,]+") do
  own_domains[string.lower(domain)] = true
end

-- The logins that own an address, as a set: the map's entry for the whole address, as
-- Postfix looks it up first, else for it without its +detail (bob+work@ is bob@'s).
local function owners(address)
  local set = {}
  local key = string.lower(address)
  local listed = logins:get_key(key)
  if not listed then
    listed = logins:get_key((string.gsub(key, "^([^@+]*)%+[^@]*@", "%1@")))
  end
  if listed then
    for owner in string.gmatch(listed, "[^%s,]+") do
      set[string.lower(owner)] = true
    end
  end
  return set
end

-- Whether the header From is the one address AUTHOR (a login) may sign as; the reason if not.
local function from_owned(task, author)
  local from = task:get_from("mime")
  if not from or #from ~= 1 or not from[1].addr or from[1].addr == "" then
    return false, "not one From address"
  end
  local address = string.lower(from[1].addr)
  if author ~= "" and (address == author or owners(address)[author]) then
    return true
  end
  return false, address
end

-- Whether a message without a login was made inside the server (Postfix's sendmail).
local function made_here(task)
  local daemon = task:get_request_header("MTA-Name")
  return daemon ~= nil and tostring(daemon) == "LOCAL"
end

-- Whether any From header names one of our domains (only those are ours to sign).
local function claims_our_domain(task)
  for _, from in ipairs(task:get_from("mime") or {}) do
    if from.domain and own_domains[string.lower(from.domain)] then
      return true
    end
  end
  return false
end

rspamd_config:register_symbol({
  name = "MAILINIT_FROM_NOT_OWNED",
  score = 0.0,
  group = "mailinit",
  description = "The header From is no address of the login, or of the local sender",
  callback = function(task)
    local owned, why
    local user = task:get_user()
    if user then
      owned, why = from_owned(task, string.lower(user))
    elseif made_here(task) and claims_our_domain(task) then
      -- The author: the envelope sender, the account whose Sieve script sent it.
      local sender = task:get_from("smtp")
      owned, why = from_owned(task, string.lower(sender and sender[1] and sender[1].addr or ""))
    else
      return false
    end
    if owned then
      return false
    end
    return true, 1.0, why
  end,
})
