"""One module per group of commands; each turns a command into a Reply."""
