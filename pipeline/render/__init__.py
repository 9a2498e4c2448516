"""Building a lead's site: palette, assets, themes, and the bundle (`site.build_site`)."""
