"""An offline copy of what one user may read (issue 21): a static site that opens from
`file://` with no server, for the incident that takes the network or OpenOps itself down.

- `contents`: what goes in — decided by the same visibility rules as every page (DESIGN §3);
- `links`: site addresses in a page turned into relative files, or into plain text;
- `bundle`: the pages, the search index and the route table, written to a folder or a zip.
"""
