import sys

from matd.cli import main

sys.exit(main())
