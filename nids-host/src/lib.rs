//! nids-host: capture sources and the `nids` command around nids-core.
#![deny(unsafe_code)]
