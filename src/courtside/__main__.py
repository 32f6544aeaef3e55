from courtside.cli.app import main

main()
