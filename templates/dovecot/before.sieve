require ["fileinto", "mailbox", "duplicate"];
# mailinit: a message already delivered to this mailbox (same Message-ID, within
# 12 hours) is not kept twice. Postfix delivers again when a delivery was cut off
# after Dovecot saved the mail but before Postfix heard so (a crash, a kill -9):
# at-least-once becomes exactly-once.
if duplicate {
  discard;
  stop;
}
# mailinit: mail that a filter marked as spam goes to Junk.
if header :contains "X-Spam-Flag" "YES" {
  fileinto :create "Junk";
  stop;
}
