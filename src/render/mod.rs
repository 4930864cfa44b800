//! render: placeholder, being written.
