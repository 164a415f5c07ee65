//! Why a WebAuthn ceremony was refused. Every refusal is one variant; its message is what the
//! client is told and [`WebAuthnError::code`] the code it is told with, so a refusal reads the
//! same whichever layer (HTTP, WIT) hands it out.

use crate::error::{Error, ErrorCode};

use super::MAX_CREDENTIALS_PER_USER;
use super::MAX_NAME_CHARS;

/// A refused WebAuthn ceremony: what the request got wrong, or what the authenticator's answer
/// failed. Converts into core's [`Error`] as a rejection with [`WebAuthnError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebAuthnError {
    // The credential as JSON.
    /// The credential JSON is larger than any request body may be.
    #[error("The credential is too large.")]
    CredentialTooLarge,
    /// The credential JSON is not an object.
    #[error("The credential is not a PublicKeyCredential in JSON form: not an object.")]
    CredentialNotObject,
    /// The credential JSON does not have the members of a `PublicKeyCredential`.
    #[error("The credential is not a PublicKeyCredential in JSON form: {0}.")]
    CredentialNotJson(String),
    /// A base64url field does not decode; names the field.
    #[error("'{0}' is not base64url.")]
    NotBase64(&'static str),
    /// The credential's `type` is not `public-key`.
    #[error("The credential type must be 'public-key'.")]
    CredentialType,

    // Client data (§7.1 steps 7–10, §7.2 steps 10–13).
    /// The client data is not a JSON object.
    #[error("The client data is not the JSON a browser sends.")]
    ClientDataNotJson,
    /// The client data's challenge does not decode.
    #[error("The client data's challenge is not base64url.")]
    ClientDataChallengeNotBase64,
    /// The client data names another ceremony type; holds the type expected.
    #[error("The client data is for another ceremony (expected '{0}').")]
    WrongClientDataType(&'static str),
    /// The client data carries another challenge.
    #[error("The answer is for another challenge.")]
    ChallengeMismatch,
    /// The origin is not allowed; holds its first 100 characters.
    #[error("The origin '{0}' is not allowed for this site.")]
    OriginNotAllowed(String),
    /// The ceremony ran in a cross-origin frame.
    #[error("Ceremonies from cross-origin frames are refused.")]
    CrossOrigin,

    // Authenticator data.
    /// Shorter than its fixed part.
    #[error("The authenticator data is too short.")]
    AuthDataTooShort,
    /// The attested credential data is cut short.
    #[error("The attested credential data is truncated.")]
    AttestedDataTruncated,
    /// The credential ID is empty or longer than 1023 bytes.
    #[error("The credential ID is missing or too long.")]
    CredentialIdLength,
    /// The credential ID is within WebAuthn's 1023 bytes but too long for a store key.
    #[error("The credential ID is longer than Sesame can store (at most {0} bytes).")]
    CredentialIdUnstorable(usize),
    /// Bytes follow the data the flags announce.
    #[error("The authenticator data has trailing bytes.")]
    AuthDataTrailingBytes,
    /// The RP ID hash is not the relying party's.
    #[error("The credential is scoped to another site (RP ID).")]
    RpIdMismatch,
    /// The user-present flag is not set.
    #[error("The authenticator did not check that a user was present.")]
    UserNotPresent,
    /// BS without BE.
    #[error(
        "The authenticator data says the credential is backed up but not backup eligible (BS without BE)."
    )]
    BackedUpNotEligible,
    /// A passkey was created without user verification.
    #[error("A passkey must verify the user (PIN or biometrics) when it is created.")]
    PasskeyCreatedUnverified,
    /// A first-factor sign-in without user verification.
    #[error("Signing in with a passkey needs user verification (PIN or biometrics).")]
    SignInUnverified,

    // CBOR, naming the structure ("credential public key").
    /// Not CBOR.
    #[error("The {0} is not valid CBOR.")]
    CborInvalid(&'static str),
    /// Bytes after the one item: the structure and how many.
    #[error("The {0} has {1} bytes after its end.")]
    CborTrailingBytes(&'static str, usize),
    /// A map key that cannot be encoded again.
    #[error("The {0} has a key Sesame cannot read.")]
    CborUnreadableKey(&'static str),
    /// A map with one key twice.
    #[error("The {0} repeats a map key.")]
    CborRepeatedKey(&'static str),

    // Registration and attestation (§7.1).
    /// The attestation object is not a map.
    #[error("The attestation object is not a CBOR map.")]
    AttestationNotMap,
    /// The attestation object lacks a member.
    #[error("The attestation object lacks fmt, attStmt or authData.")]
    AttestationIncomplete,
    /// No attested credential in the authenticator data.
    #[error("The authenticator data holds no new credential.")]
    NoNewCredential,
    /// `rawId` is not the attested credential ID.
    #[error("The credential ID does not match the authenticator data.")]
    CredentialIdMismatch,
    /// The attestation format is unknown or not accepted; holds its first 32 characters.
    #[error("Attestation format '{0}' is not accepted here.")]
    AttestationFormatRefused(String),
    /// `none` with a statement.
    #[error("A 'none' attestation must have an empty statement.")]
    NoneWithStatement,
    /// `packed` with a certificate chain or ECDAA.
    #[error("Only self attestation is accepted in 'packed'; request attestation 'none'.")]
    PackedNotSelf,
    /// `packed` naming another algorithm than the key's.
    #[error("The packed attestation's algorithm does not match the credential's.")]
    PackedAlgorithmMismatch,
    /// `packed` without `sig`.
    #[error("The packed attestation has no signature.")]
    PackedWithoutSignature,

    // COSE keys and signatures.
    /// Not a CBOR map.
    #[error("The credential public key is not a COSE key.")]
    NotCoseKey,
    /// No `kty`.
    #[error("The COSE key has no key type.")]
    CoseNoKeyType,
    /// No `alg`.
    #[error("The COSE key names no algorithm.")]
    CoseNoAlgorithm,
    /// An algorithm Sesame does not offer.
    #[error("Algorithm {0} is not accepted; use ES256 (-7), EdDSA (-8) or RS256 (-257).")]
    AlgorithmRefused(i64),
    /// `kty` does not fit `alg`.
    #[error("The COSE key's type does not match its algorithm.")]
    CoseKeyTypeMismatch,
    /// ES256 on another curve.
    #[error("An ES256 key must be on curve P-256.")]
    Es256Curve,
    /// P-256 coordinates of the wrong size or missing.
    #[error("The P-256 key's coordinates are malformed.")]
    P256Coordinates,
    /// P-256 coordinates off the curve.
    #[error("The P-256 key is not a point on the curve.")]
    P256NotOnCurve,
    /// EdDSA on another curve.
    #[error("An EdDSA key must be on curve Ed25519.")]
    EdDsaCurve,
    /// Ed25519 key bytes missing or of the wrong size.
    #[error("The Ed25519 key is malformed.")]
    Ed25519Malformed,
    /// Ed25519 bytes that are no point.
    #[error("The Ed25519 key is not a valid point.")]
    Ed25519NotPoint,
    /// A small-order Ed25519 key.
    #[error("The Ed25519 key is weak.")]
    Ed25519Weak,
    /// RSA without `n`.
    #[error("The RSA key has no modulus.")]
    RsaNoModulus,
    /// RSA without `e`.
    #[error("The RSA key has no exponent.")]
    RsaNoExponent,
    /// RSA modulus outside 2048–8192 bits, or an oversized exponent.
    #[error("The RSA key must have a modulus of 2048 to 8192 bits.")]
    RsaSize,
    /// An RSA key the library refuses.
    #[error("The RSA key is not valid.")]
    RsaInvalid,
    /// A signature that does not verify.
    #[error("The signature does not verify.")]
    BadSignature,

    // Sign-in (§7.2).
    /// A usernameless sign-in without a user handle.
    #[error("A sign-in without a username needs the credential's user handle.")]
    UserHandleRequired,
    /// No such credential, not this account's, or its signature does not verify: one answer.
    #[error(
        "This passkey or security key is not registered for this account, or its answer does not verify."
    )]
    UnknownCredential,
    /// BE differs from registration.
    #[error(
        "This credential's backup eligibility changed since it was registered, which an authenticator never does; sign in another way."
    )]
    BackupEligibilityChanged,
    /// The signature counter did not grow, under [`super::SignCountPolicy::Reject`].
    #[error(
        "This authenticator's signature counter went backwards; it may have been cloned. Sign in another way."
    )]
    SignCountRegression,

    // Ceremonies.
    /// No live ceremony under the token.
    #[error("This challenge is unknown, expired or already used; start again.")]
    ChallengeUnknown,
    /// The ceremony belongs to another session, sign-in or kind.
    #[error("This challenge was issued for another sign-in or session; start again.")]
    WrongCeremony,
    /// A credential name that is empty, too long or has control characters.
    #[error("Give the credential a name of 1 to {max} characters.", max = MAX_NAME_CHARS)]
    InvalidName,
    /// The user has [`MAX_CREDENTIALS_PER_USER`] credentials already.
    #[error("At most {max} credentials per account; delete one first.", max = MAX_CREDENTIALS_PER_USER)]
    TooManyCredentials,
    /// The user has a credential of this name.
    #[error("You already have a credential with this name.")]
    NameTaken,
    /// The credential ID is registered (to anyone).
    #[error("This credential is already registered.")]
    CredentialTaken,
    /// A second factor asked of an account without credentials.
    #[error("This account has no security key or passkey.")]
    NoSecondFactorCredential,
    /// Re-authentication asked of a user without credentials.
    #[error("You have no security key or passkey to verify with.")]
    NoCredentialToVerify,
    /// Deleting a credential the user does not have.
    #[error("You have no credential with this ID or name.")]
    NoSuchCredential,
}

impl WebAuthnError {
    /// The code the client is told.
    pub fn code(&self) -> ErrorCode {
        use WebAuthnError as E;
        match self {
            E::CredentialTooLarge => ErrorCode::PayloadTooLarge,
            E::CredentialNotObject
            | E::CredentialNotJson(_)
            | E::NotBase64(_)
            | E::InvalidName
            | E::TooManyCredentials
            | E::NoSecondFactorCredential
            | E::NoCredentialToVerify => ErrorCode::InvalidRequest,
            E::ChallengeMismatch | E::ChallengeUnknown | E::WrongCeremony => {
                ErrorCode::ChallengeInvalid
            }
            E::UnknownCredential => ErrorCode::UnknownCredential,
            E::SignCountRegression => ErrorCode::SignCountRegression,
            E::NameTaken | E::CredentialTaken => ErrorCode::AlreadyExists,
            E::NoSuchCredential => ErrorCode::NotFound,
            // Every other refusal is an answer failing a check of the specification.
            _ => ErrorCode::WebauthnRejected,
        }
    }
}

impl From<WebAuthnError> for Error {
    fn from(refusal: WebAuthnError) -> Self {
        Error::rejected(refusal.code(), refusal.to_string())
    }
}

/// A result whose refusal is a [`WebAuthnError`].
pub type Result<T> = std::result::Result<T, WebAuthnError>;
