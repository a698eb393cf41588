from tafelsim.cli import main

main()
