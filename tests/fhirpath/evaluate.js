// Evaluates FHIRPath expressions on QuestionnaireResponses with fhirpath.js and the R4 model
// (so that `answer.value` reads every value[x]). Input: a JSON file of
// [{ "response": {...}, "expressions": [{ "linkId": "...", "expression": "..." }] }];
// output on stdout: for each case, for each expression, { linkId, value } (the result
// collection) or { linkId, error }.
'use strict';
const fs = require('fs');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = cases.map((c) =>
  c.expressions.map(({ linkId, expression }) => {
    try {
      const value = fhirpath.evaluate(c.response, expression, { resource: c.response }, r4);
      return { linkId, value };
    } catch (err) {
      return { linkId, error: String(err && err.message ? err.message : err) };
    }
  })
);
process.stdout.write(JSON.stringify(results));
