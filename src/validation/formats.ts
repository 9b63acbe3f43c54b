// ajv string formats for identifiers, plus the standard formats we use from ajv-formats.
// Formats check the string exactly as given: normalisation happens before validation, elsewhere.

import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { checkPersonalId, isMaskedPersonalId } from '../domain/personal-id.js';
import { checkUscc, isOrgCode, normalizeIdentifier } from '../domain/uscc.js';

// ajv-formats is CommonJS (`module.exports = plugin; module.exports.default = plugin`). Under NodeNext
// the default import is typed as the whole module, so the plugin is its `.default`, which exists at runtime too.
const addFormats = addFormatsModule.default;

const STANDARD_FORMATS = ['date', 'date-time', 'uri', 'email', 'uuid'] as const;

export function addIdentifierFormats(ajv: Ajv2020): void {
  addFormats(ajv, [...STANDARD_FORMATS]);
  // `code === s` rejects strings that would only pass after normalisation (lower case, spaces, full-width).
  ajv.addFormat('uscc', {
    type: 'string',
    validate: (s: string) => {
      const result = checkUscc(s);
      return result.ok && result.code === s;
    },
  });
  // a full GB 11643 number (check character, real birth date); a masked one is `personal-id-masked`
  ajv.addFormat('personal-id', {
    type: 'string',
    validate: (s: string) => {
      const result = checkPersonalId(s);
      return result.ok && !result.masked && result.code === s;
    },
  });
  ajv.addFormat('personal-id-masked', { type: 'string', validate: (s: string) => isMaskedPersonalId(s) && normalizeIdentifier(s) === s });
  ajv.addFormat('org-code', { type: 'string', validate: isOrgCode });
  ajv.addFormat('gb2260', { type: 'string', validate: (s: string) => /^\d{6}$/.test(s) && s !== '000000' });
}
