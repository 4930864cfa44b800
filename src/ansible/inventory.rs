//! ansible::inventory: placeholder, being written.
