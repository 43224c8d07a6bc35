require ["fileinto", "mailbox", "duplicate", "variables"];
# mailinit: Postfix delivers a message again when a delivery was cut off after
# Dovecot saved it but before Postfix heard so (a crash, a kill -9, a stop).
# That second delivery comes from the same queue file, so it carries the same
# Received header this server's Postfix wrote (queue ID and time; the topmost
# "(Postfix" one, as Dovecot's own LMTP header is above it). A different message
# never does, even with the same Message-ID (a mailing list's copy): only true
# redeliveries are dropped, for 12 hours. Postfix serialises deliveries to a
# mailbox (main.cf) so that Dovecot's record of them is never lost in a race.
if header :matches "Received" "*(Postfix*" {
  if duplicate :uniqueid "${0}" {
    discard;
    stop;
  }
}
# mailinit: mail that a filter marked as spam goes to Junk.
if header :contains "X-Spam-Flag" "YES" {
  fileinto :create "Junk";
  stop;
}
