//! umqtt_core::sign against published vectors: RFC 2202 (HMAC-SHA1),
//! RFC 4231 (HMAC-SHA256), RFC 4648 (base64), and the example inputs of
//! Aliyun's MQTT sign documentation (its result computed independently with
//! CPython's hmac module, since the page prints only the formula).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use umqtt_core::sign::{
    base64_decode, base64_encode, base64_len, hex_encode, hmac, url_encode, url_encoded_len,
    Algorithm, SignError,
};

fn mac_hex(alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = [0u8; 32];
    let n = hmac(alg, key, parts, &mut mac).unwrap();
    assert_eq!(n, alg.output_len());
    let mut hex = [0u8; 64];
    let h = hex_encode(&mac[..n], &mut hex).unwrap();
    String::from_utf8(hex[..h].to_vec()).unwrap()
}

#[test]
fn rfc2202_hmac_sha1() {
    use Algorithm::HmacSha1;
    assert_eq!(
        mac_hex(HmacSha1, &[0x0b; 20], &[b"Hi There"]),
        "b617318655057264e28bc0b6fb378c8ef146be00"
    );
    assert_eq!(
        mac_hex(HmacSha1, b"Jefe", &[b"what do ya want for nothing?"]),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
    // Test case 6: a key longer than the block size is hashed first.
    assert_eq!(
        mac_hex(
            HmacSha1,
            &[0xaa; 80],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
        ),
        "aa4ae5e15272d00e95705637ce8a3b55ed402112"
    );
}

#[test]
fn rfc4231_hmac_sha256() {
    use Algorithm::HmacSha256;
    assert_eq!(
        mac_hex(HmacSha256, &[0x0b; 20], &[b"Hi There"]),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(
        mac_hex(HmacSha256, b"Jefe", &[b"what do ya want for nothing?"]),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        mac_hex(
            HmacSha256,
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
        ),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    // Parts are MACed as their concatenation.
    assert_eq!(
        mac_hex(
            HmacSha256,
            b"Jefe",
            &[b"what do ya ", b"", b"want for nothing?"]
        ),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn aliyun_documentation_example() {
    // clientId=12345, deviceName=device, productKey=pk, timestamp=789,
    // deviceSecret=secret: content = "clientId12345deviceNamedeviceproductKeypktimestamp789".
    let content: &[u8] = b"clientId12345deviceNamedeviceproductKeypktimestamp789";
    assert_eq!(
        mac_hex(Algorithm::HmacSha1, b"secret", &[content]),
        "fafd82a3d602b37fb0fa8b7892f24a477f851a14"
    );
    assert_eq!(
        mac_hex(Algorithm::HmacSha256, b"secret", &[content]),
        "6074a46a91b1ebb2cc4ea42790ad0e80202c9843859fc292e57c4eb19fad9e57"
    );
}

#[test]
fn mac_buffer_too_small() {
    let mut out = [0u8; 31];
    assert_eq!(
        hmac(Algorithm::HmacSha256, b"k", &[b"m"], &mut out),
        Err(SignError::BufferTooSmall { needed: 32 })
    );
    assert_eq!(
        hmac(Algorithm::HmacSha1, b"k", &[b"m"], &mut out[..20]),
        Ok(20)
    );
}

#[test]
fn rfc4648_base64() {
    let cases: [(&[u8], &str); 7] = [
        (b"", ""),
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg=="),
        (b"fooba", "Zm9vYmE="),
        (b"foobar", "Zm9vYmFy"),
    ];
    for (raw, text) in cases {
        let mut enc = [0u8; 8];
        let n = base64_encode(raw, &mut enc).unwrap();
        assert_eq!(n, base64_len(raw.len()));
        assert_eq!(&enc[..n], text.as_bytes());
        let mut dec = [0u8; 6];
        let m = base64_decode(text.as_bytes(), &mut dec).unwrap();
        assert_eq!(&dec[..m], raw);
    }
    let mut small = [0u8; 3];
    assert!(matches!(
        base64_encode(b"foob", &mut small),
        Err(SignError::BufferTooSmall { needed: 8 })
    ));
    assert_eq!(
        base64_decode(b"Zm9v!", &mut [0u8; 8]),
        Err(SignError::InvalidBase64)
    );
    assert_eq!(
        base64_decode(b"Zm9vYg", &mut [0u8; 8]),
        Err(SignError::InvalidBase64)
    );
}

#[test]
fn url_encoding_keeps_only_unreserved() {
    let input = b"myhub.azure-devices.net/devices/dev 1~_+=&%\xc3\xa9";
    let expected = "myhub.azure-devices.net%2Fdevices%2Fdev%201~_%2B%3D%26%25%C3%A9";
    let mut out = [0u8; 80];
    let n = url_encode(input, &mut out).unwrap();
    assert_eq!(n, url_encoded_len(input));
    assert_eq!(&out[..n], expected.as_bytes());
    assert_eq!(
        url_encode(input, &mut out[..n - 1]),
        Err(SignError::BufferTooSmall { needed: n })
    );
}

#[test]
fn hex_buffer_too_small() {
    assert_eq!(
        hex_encode(b"abc", &mut [0u8; 5]),
        Err(SignError::BufferTooSmall { needed: 6 })
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn unhex(d: u8) -> u8 {
        match d {
            b'0'..=b'9' => d - b'0',
            b'A'..=b'F' => d - b'A' + 10,
            _ => panic!("not an uppercase hex digit: {d}"),
        }
    }

    proptest! {
        #[test]
        fn base64_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut enc = vec![0u8; base64_len(data.len())];
            let n = base64_encode(&data, &mut enc).unwrap();
            prop_assert_eq!(n, enc.len());
            let mut dec = vec![0u8; n / 4 * 3];
            let m = base64_decode(&enc, &mut dec).unwrap();
            prop_assert_eq!(&dec[..m], &data[..]);
        }

        #[test]
        fn url_encoding_decodes_back(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut out = vec![0u8; url_encoded_len(&data)];
            let n = url_encode(&data, &mut out).unwrap();
            prop_assert_eq!(n, out.len());
            let mut back = Vec::new();
            let mut i = 0;
            while i < n {
                if out[i] == b'%' {
                    back.push(unhex(out[i + 1]) << 4 | unhex(out[i + 2]));
                    i += 3;
                } else {
                    prop_assert!(out[i].is_ascii_alphanumeric() || b"-._~".contains(&out[i]));
                    back.push(out[i]);
                    i += 1;
                }
            }
            prop_assert_eq!(back, data);
        }

        #[test]
        fn small_buffers_are_refused_not_overrun(data in proptest::collection::vec(any::<u8>(), 1..64)) {
            let mut out = [0u8; 8];
            let short = url_encoded_len(&data).min(8) - 1;
            prop_assert!(url_encode(&data, &mut out[..short]).is_err());
            prop_assert!(hex_encode(&data, &mut out[..data.len().min(4) * 2 - 1]).is_err());
        }
    }
}
