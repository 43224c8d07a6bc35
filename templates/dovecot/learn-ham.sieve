require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];
# mailinit (ENABLE_RSPAMD): a message a user moved or copied out of Junk teaches rspamd
# "ham" (dovecot.conf, imapsieve_mailbox2), unless it went to the Trash (deleting spam
# from Junk says nothing about it) or back into Junk (learn-spam.sieve's).
if environment :matches "imap.mailbox" "*" {
  if string ["${1}"] ["Trash", "Junk"] {
    stop;
  }
}
pipe :copy "rspamd-learn" ["ham"];
