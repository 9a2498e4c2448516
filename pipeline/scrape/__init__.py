"""Brand extraction for the scrape stage: a safe HTTP client and one module per profile field.

`fetch` talks to the network; `site` crawls a few pages and stylesheets; `names`, `logo`,
`colors`, `contact` and `copy` are pure extractors over parsed pages; `images` and `svg` make a
downloaded logo safe to store; `fallback` builds what a lead gets when its site cannot be used.
"""
