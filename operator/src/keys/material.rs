//! Loaded key material, its btcli keyfile form, and hotkey generation.

use super::{ss58_encode, KeyError, Reason};
use bip39::Mnemonic;
use rand::RngCore;
use std::fmt::{self, Write as _};
use subxt_signer::sr25519::Keypair;
use zeroize::{Zeroize, Zeroizing};

/// A hotkey with its btcli keyfile. Secrets are zeroized on drop; `Debug` prints the ss58 only.
pub struct HotkeyMaterial {
    keypair: Keypair,
    keyfile_json: Zeroizing<String>,
}

impl HotkeyMaterial {
    pub fn public(&self) -> [u8; 32] {
        self.keypair.public_key().0
    }

    pub fn ss58(&self) -> String {
        ss58_encode(&self.public())
    }

    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// The btcli hotkey keyfile to mount in the pod (mode 0600). Contains the secret.
    pub fn keyfile_json(&self) -> &str {
        &self.keyfile_json
    }

    /// The public-only keyfile (`hotkeys/<name>pub.txt`).
    pub fn public_keyfile_json(&self) -> String {
        super::public_keyfile_json(&self.public())
    }

    /// Into a coldkey signer (a coldkey given as a keyfile or mnemonic signs for itself).
    pub fn into_signer(self) -> ColdkeySigner {
        ColdkeySigner::Key(self.keypair.clone())
    }

    /// From a BIP39 phrase, with no password (Substrate's standard derivation).
    pub(super) fn from_mnemonic(m: &Mnemonic) -> Self {
        let mini = mini_secret_from_mnemonic(m);
        Self::build(&mini, Some(m))
    }

    /// From a 32-byte sr25519 mini secret (btcli `secretSeed`).
    pub(super) fn from_seed(mini: &[u8; 32]) -> Self {
        Self::build(mini, None)
    }

    fn build(mini: &[u8; 32], phrase: Option<&Mnemonic>) -> Self {
        let keypair = keypair_from_seed(mini);
        let keyfile_json = keyfile_json(mini, phrase, &keypair.public_key().0);
        HotkeyMaterial {
            keypair,
            keyfile_json,
        }
    }
}

impl fmt::Debug for HotkeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HotkeyMaterial({})", self.ss58())
    }
}

/// A fresh hotkey: 12-word BIP39 mnemonic from OS randomness, sr25519, btcli keyfile.
pub fn generate_hotkey() -> Result<HotkeyMaterial, KeyError> {
    let mut entropy = Zeroizing::new([0u8; 16]);
    rand::rngs::OsRng
        .try_fill_bytes(&mut entropy[..])
        .map_err(|_| KeyError::Generate("OS random source unavailable"))?;
    let m = Mnemonic::from_entropy(&entropy[..])
        .map_err(|_| KeyError::Generate("mnemonic from entropy"))?;
    Ok(HotkeyMaterial::from_mnemonic(&m))
}

/// Who signs coldkey extrinsics.
#[derive(Clone)]
pub enum ColdkeySigner {
    /// The coldkey itself.
    Key(Keypair),
    /// A proxy key signing `Proxy.proxy(real, ..)`; `real` (the coldkey) pays.
    Proxy { proxy: Keypair, real: [u8; 32] },
}

impl ColdkeySigner {
    /// The account that signs and whose nonce is used.
    pub fn signer_account(&self) -> [u8; 32] {
        match self {
            ColdkeySigner::Key(k) => k.public_key().0,
            ColdkeySigner::Proxy { proxy, .. } => proxy.public_key().0,
        }
    }
}

// Manual: subxt-signer's `Keypair` Debug prints the secret scalar.
impl fmt::Debug for ColdkeySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColdkeySigner::Key(k) => write!(f, "Key({})", ss58_encode(&k.public_key().0)),
            ColdkeySigner::Proxy { proxy, real } => write!(
                f,
                "Proxy(for {}, as {})",
                ss58_encode(real),
                ss58_encode(&proxy.public_key().0)
            ),
        }
    }
}

/// A loaded coldkey (or proxy for one). `Debug` shows addresses only.
pub struct ColdkeyMaterial {
    pub signer: ColdkeySigner,
}

impl ColdkeyMaterial {
    /// The paying coldkey (`real` for a proxy).
    pub fn coldkey(&self) -> [u8; 32] {
        match &self.signer {
            ColdkeySigner::Key(k) => k.public_key().0,
            ColdkeySigner::Proxy { real, .. } => *real,
        }
    }

    pub fn coldkey_ss58(&self) -> String {
        ss58_encode(&self.coldkey())
    }
}

impl fmt::Debug for ColdkeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ColdkeyMaterial({:?})", self.signer)
    }
}

pub(super) fn keypair_from_seed(mini: &[u8; 32]) -> Keypair {
    // Every 32-byte string is a valid mini secret; the error arm is unreachable in practice.
    Keypair::from_secret_key(*mini).expect("any 32 bytes are an sr25519 mini secret")
}

/// substrate-bip39: PBKDF2-HMAC-SHA512(entropy, "mnemonic", 2048), first 32 bytes. The same
/// seed subxt-signer's `Keypair::from_phrase(m, None)` uses; we need it to write `secretSeed`.
fn mini_secret_from_mnemonic(m: &Mnemonic) -> Zeroizing<[u8; 32]> {
    let (mut entropy, len) = m.to_entropy_array();
    let mut seed = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(&entropy[..len], b"mnemonic", 2048, &mut seed[..]);
    entropy.zeroize();
    let mut mini = Zeroizing::new([0u8; 32]);
    mini.copy_from_slice(&seed[..32]);
    mini
}

/// btcli's 64-byte `privateKey`: the expanded schnorrkel secret (scalar ‖ nonce).
fn private_key(mini: &[u8; 32]) -> Zeroizing<[u8; 64]> {
    let secret = schnorrkel::MiniSecretKey::from_bytes(mini)
        .expect("any 32 bytes are an sr25519 mini secret")
        .expand(schnorrkel::ExpansionMode::Ed25519);
    Zeroizing::new(secret.to_bytes())
}

/// The keyfile btcli writes. `cryptoType` is left out: older bittensor-wallet releases read
/// every field as a string and reject the number; current ones default it to sr25519.
fn keyfile_json(
    mini: &[u8; 32],
    phrase: Option<&Mnemonic>,
    public: &[u8; 32],
) -> Zeroizing<String> {
    // Reserved up front so the string never reallocates and leaves unzeroized copies behind.
    let mut out = Zeroizing::new(String::with_capacity(1024));
    let pk = hex::encode(public);
    out.push('{');
    let _ = write!(out, "\"accountId\":\"0x{pk}\",\"publicKey\":\"0x{pk}\",");
    out.push_str("\"privateKey\":\"0x");
    push_hex(&mut out, &private_key(mini)[..]);
    out.push_str("\",");
    if let Some(m) = phrase {
        out.push_str("\"secretPhrase\":\"");
        for (i, w) in m.words().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
        out.push_str("\",");
    }
    out.push_str("\"secretSeed\":\"0x");
    push_hex(&mut out, mini);
    let _ = write!(out, "\",\"ss58Address\":\"{}\"}}", ss58_encode(public));
    out
}

/// Hex without an intermediate heap string.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
}

/// Reads a 32-byte value written as `0x` + 64 hex digits (the `0x` is optional).
pub(super) fn parse_hex32(s: &str) -> Result<Zeroizing<[u8; 32]>, Reason> {
    let s = s.trim();
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.is_empty() {
        return Err(Reason::Empty);
    }
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) || !digits.len().is_multiple_of(2) {
        return Err(Reason::NotHex);
    }
    if digits.len() != 64 {
        return Err(Reason::WrongLength(32));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits, &mut out[..]).map_err(|_| Reason::NotHex)?;
    Ok(out)
}

/// Reads a BIP39 English phrase (any whitespace between words).
pub(super) fn parse_mnemonic(s: &str) -> Result<Mnemonic, Reason> {
    if s.trim().is_empty() {
        return Err(Reason::Empty);
    }
    Mnemonic::parse_normalized(s).map_err(|_| Reason::BadMnemonic)
}
