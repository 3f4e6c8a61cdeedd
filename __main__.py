from newsbeam.cli.main import main

main()
