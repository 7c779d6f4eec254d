"""``python -m safi_map`` runs the CLI."""

from safi_map.cli.main import main

if __name__ == "__main__":
    main()
