// OpenOps page behaviour. Loaded on every page; each part looks for its own elements.
"use strict";
