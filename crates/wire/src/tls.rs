//! TLS for the bench controller, whose protocol can suspend, revoke and reset test identities. There is
//! no CA: each end holds a P-256 key (`mynacert keygen`), presents a certificate made from it at start
//! (self-signed; only its key matters), and accepts the peer only if the peer's public key is one it was
//! given — the client pins the controller's key, the controller trusts the keys of its clients. TLS 1.3
//! only, ring's primitives.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::sync::Arc;
use thiserror::Error;

/// What is wrong with a TLS key or setting.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TlsError {
    #[error("private key: {0}")]
    Key(String),
    #[error("public key: {0}")]
    PublicKey(String),
    #[error("TLS set-up: {0}")]
    Config(String),
    /// An empty list of trusted keys would trust nobody (and is never read as "trust anybody").
    #[error("no trusted public key given")]
    NoTrustedKey,
}

/// One end's key and the certificate made from it.
pub struct TlsIdentity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TlsIdentity({} byte certificate)", self.cert.len())
    }
}

impl TlsIdentity {
    /// From a PKCS#8 PEM private key (`mynacert keygen`'s `.key`); `name` goes into the certificate.
    pub fn from_pem(key_pem: &str, name: &str) -> Result<TlsIdentity, TlsError> {
        let pair = rcgen::KeyPair::from_pem(key_pem).map_err(|e| TlsError::Key(e.to_string()))?;
        let params = rcgen::CertificateParams::new(vec![name.to_string()])
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let cert = params
            .self_signed(&pair)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(TlsIdentity {
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pair.serialize_der())),
        })
    }
}

/// The SubjectPublicKeyInfo (DER) of every `-----BEGIN PUBLIC KEY-----` block of a `.pub` file.
pub fn public_keys_from_pem(pem: &str) -> Result<Vec<Vec<u8>>, TlsError> {
    use base64::Engine;
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN PUBLIC KEY-----") {
        let body = &rest[start + "-----BEGIN PUBLIC KEY-----".len()..];
        let Some(end) = body.find("-----END PUBLIC KEY-----") else {
            return Err(TlsError::PublicKey(
                "a PUBLIC KEY block has no END line".into(),
            ));
        };
        let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| TlsError::PublicKey(format!("not base64: {e}")))?;
        out.push(der);
        rest = &body[end..];
    }
    if out.is_empty() {
        return Err(TlsError::PublicKey(
            "no `-----BEGIN PUBLIC KEY-----` block".into(),
        ));
    }
    Ok(out)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The public key of a peer's end-entity certificate.
fn spki_of(cert: &CertificateDer<'_>) -> Option<Vec<u8>> {
    let (_, c) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    Some(c.public_key().raw.to_vec())
}

/// Accepts exactly the peers whose public key is pinned.
#[derive(Debug)]
struct Pinned {
    keys: Vec<Vec<u8>>,
    algs: WebPkiSupportedAlgorithms,
}

impl Pinned {
    fn new(keys: Vec<Vec<u8>>) -> Result<Arc<Pinned>, TlsError> {
        if keys.is_empty() {
            return Err(TlsError::NoTrustedKey);
        }
        Ok(Arc::new(Pinned {
            keys,
            algs: provider().signature_verification_algorithms,
        }))
    }

    fn check(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        match spki_of(cert) {
            Some(k) if self.keys.contains(&k) => Ok(()),
            Some(_) => Err(rustls::Error::General(
                "the peer's public key is not one this end was given".into(),
            )),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            )),
        }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The client's configuration: its own key, the controller's pinned public key(s).
pub fn client_config(
    me: TlsIdentity,
    server_keys: Vec<Vec<u8>>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Pinned::new(server_keys)?)
        .with_client_auth_cert(vec![me.cert], me.key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(cfg))
}

/// The controller's configuration: its own key, the public keys of the clients it serves.
pub fn server_config(
    me: TlsIdentity,
    client_keys: Vec<Vec<u8>>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(Pinned::new(client_keys)?)
        .with_single_cert(vec![me.cert], me.key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(cfg))
}

/// The name the client sends (the certificates carry it; pinning, not the name, decides).
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("mynacert-controller").unwrap_or(ServerName::IpAddress(
        std::net::IpAddr::from([127, 0, 0, 1]).into(),
    ))
}
