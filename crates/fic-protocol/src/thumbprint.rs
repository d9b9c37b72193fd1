//! Certificate thumbprints as JOSE headers carry them. One place computes
//! them so the IdP's lookup and the client's headers cannot drift apart.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// `x5t#S256`: base64url (no padding) SHA-256 of the certificate's DER.
pub fn x5t_s256(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(cert_der))
}

/// `x5t`: base64url (no padding) SHA-1 of the certificate's DER.
pub fn x5t_sha1(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha1::digest(cert_der))
}

/// Decodes a thumbprint header to raw digest bytes of `digest_len` bytes,
/// accepting base64url with or without padding, standard base64 (MSAL Go
/// sends standard base64, `docs/protocol.md` §7) and hex (some tools print thumbprints
/// that way). The length decides between encodings that overlap.
pub fn decode_thumbprint(value: &str, digest_len: usize) -> Option<Vec<u8>> {
    let fits = |b: Vec<u8>| (b.len() == digest_len).then_some(b);
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .ok()
        .and_then(fits)
        .or_else(|| STANDARD.decode(value).ok().and_then(fits))
        .or_else(|| {
            if value.len() != digest_len * 2 || !value.is_ascii() {
                return None;
            }
            (0..value.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_and_url_safe_encodings_decode_alike() {
        let digest = Sha256::digest(b"cert");
        let url = URL_SAFE_NO_PAD.encode(digest);
        let std = STANDARD.encode(digest);
        assert_eq!(x5t_s256(b"cert"), url);
        assert_eq!(decode_thumbprint(&url, 32).unwrap(), digest.to_vec());
        assert_eq!(decode_thumbprint(&std, 32).unwrap(), digest.to_vec());
        let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(decode_thumbprint(&hex, 32).unwrap(), digest.to_vec());
        assert_eq!(decode_thumbprint("short", 32), None);
    }
}
