//! `sesame:auth/hashing`: native password hashing (see `crate::hashing`).

use crate::bindings::hashing::{self, Argon2Algorithm, HashError, Pbkdf2Digest};
use crate::ctx::SesameCtxView;

impl hashing::Host for SesameCtxView<'_> {
    async fn argon2id(
        &mut self,
        password: Vec<u8>,
        salt: Vec<u8>,
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, String>> {
        let params = hashing::Argon2Params {
            algorithm: Argon2Algorithm::Argon2id,
            version: 0x13,
            memory_kib,
            iterations,
            parallelism,
        };
        Ok(self
            .hashing
            .argon2(self.host_wait, params, password, salt, output_len)
            .await?
            .map_err(|refusal| refusal.to_string()))
    }

    async fn argon2(
        &mut self,
        params: hashing::Argon2Params,
        password: Vec<u8>,
        salt: Vec<u8>,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, HashError>> {
        Ok(self
            .hashing
            .argon2(self.host_wait, params, password, salt, output_len)
            .await?
            .map_err(HashError::from))
    }

    async fn bcrypt(
        &mut self,
        key: Vec<u8>,
        salt: Vec<u8>,
        cost: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, HashError>> {
        Ok(self
            .hashing
            .bcrypt(self.host_wait, key, salt, cost)
            .await?
            .map_err(HashError::from))
    }

    async fn pbkdf2(
        &mut self,
        digest: Pbkdf2Digest,
        password: Vec<u8>,
        salt: Vec<u8>,
        rounds: u32,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, HashError>> {
        Ok(self
            .hashing
            .pbkdf2(self.host_wait, digest, password, salt, rounds, output_len)
            .await?
            .map_err(HashError::from))
    }
}
