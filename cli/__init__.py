"""The `newsbeam` command line; each module here that defines `command` adds a subcommand."""
