from joserfc.jwk import ECKey, OKPKey, RSAKey

PublicKey = RSAKey | ECKey | OKPKey
