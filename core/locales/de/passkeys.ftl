## passkeys
