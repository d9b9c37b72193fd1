//! The conformance suite's machinery: the cucumber world, protocol-level
//! step definitions and the client-under-test drivers.

pub mod client_under_test;
pub mod driver_protocol;
pub mod port_driver;
pub mod divergences;
pub mod matrix;
pub mod ports;
pub mod report;
pub mod reference_driver;
pub mod steps;
pub mod suite;
pub mod world;

pub use client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
