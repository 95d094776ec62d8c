from evidensbase.cli import main

main()
