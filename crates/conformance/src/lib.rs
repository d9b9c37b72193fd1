//! The conformance suite's machinery: the cucumber world, protocol-level
//! step definitions and the client-under-test drivers.

pub mod driver_protocol;
