from connectors.telegram.service import main

raise SystemExit(main())
