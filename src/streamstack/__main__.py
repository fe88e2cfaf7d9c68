from streamstack.cli import main

main()
