"""What every mirror is built from: markup and dates, image stand-ins, one template builder, one PDF maker, a
content loader, and the `Site` interface with its typed ground truth (see mirrors/README.md, "Adding a site")."""
