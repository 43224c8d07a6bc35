require ["fileinto", "mailbox"];
# mailinit: mail that a filter marked as spam goes to Junk.
if header :contains "X-Spam-Flag" "YES" {
  fileinto :create "Junk";
  stop;
}
