from calcvision.cli import main

raise SystemExit(main())
