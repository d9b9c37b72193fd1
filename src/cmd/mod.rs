pub mod bench;
pub mod explore;
pub mod hash;
pub mod key;
pub mod run;
pub mod serve;
