//! The conformance suite's machinery: the cucumber world, protocol-level
//! step definitions and the client-under-test drivers.

#![warn(missing_docs)]

pub mod authority;
pub mod client_under_test;
pub mod divergences;
pub mod driver_protocol;
pub mod explore;
pub mod matrix;
pub mod port_build;
pub mod port_driver;
pub mod ports;
pub mod reference_driver;
pub mod report;
pub mod report_html;
pub mod scenario;
pub mod steps;
pub mod suite;
pub mod verdict;
pub mod world;

pub use client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
