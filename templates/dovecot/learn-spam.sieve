require ["vnd.dovecot.pipe", "copy"];
# mailinit (ENABLE_RSPAMD): a message a user moved or copied into Junk, or saved there,
# teaches rspamd "spam" (dovecot.conf, imapsieve_mailbox1). rspamc, through rspamd-learn.
pipe :copy "rspamd-learn" ["spam"];
