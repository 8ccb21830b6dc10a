/**
 * The secret part of an API key `fgk_<prefix>_<secret>`, for tests that check it never appears where it should
 * not. The secret is base64url, which may itself hold `_`, so splitting on `_` would give a fragment (one letter
 * at times) that turns up anywhere by chance.
 */
export function apiKeySecret(key: string): string {
  const secret = /^fgk_[a-z0-9]{12}_([A-Za-z0-9_-]{43})$/.exec(key)?.[1];
  if (!secret) throw new Error('not an API key of the form fgk_<12 characters>_<43 characters>');
  return secret;
}
