//! Test-only helpers.

/// A self-signed RSA certificate and its PKCS#8 key, both PEM.
pub(crate) fn rsa_certificate(common_name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key generation");
    let params = rcgen::CertificateParams::new(vec![common_name.to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}
