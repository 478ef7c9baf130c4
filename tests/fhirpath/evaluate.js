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

// The response item answering `linkId`, made in the first group when the response has none.
function itemOf(response, linkId) {
  const find = (items) => {
    for (const item of items || []) {
      if (item.linkId === linkId) return item;
      const inner = find(item.item);
      if (inner) return inner;
    }
    return undefined;
  };
  let item = find(response.item);
  if (!item) {
    item = { linkId };
    const group = response.item[0];
    (group.item = group.item || []).push(item);
  }
  return item;
}

function evaluateAll(c) {
  return c.expressions.map(({ linkId, expression }) => {
    try {
      const value = fhirpath.evaluate(c.response, expression, { resource: c.response }, r4);
      return { linkId, value };
    } catch (err) {
      return { linkId, error: String(err && err.message ? err.message : err) };
    }
  });
}

// As an SDC form filler does: every calculated answer goes into the response, so a total of
// calculated items (SARA's sides, for one) sees them; again until no answer changes.
const results = cases.map((c) => {
  let previous = '';
  for (let pass = 0; pass <= c.expressions.length; pass++) {
    const results = evaluateAll(c);
    const now = JSON.stringify(results);
    if (now === previous) return results;
    previous = now;
    for (const { linkId, value } of results) {
      const item = itemOf(c.response, linkId);
      if (value && typeof value[0] === 'number') item.answer = [{ valueDecimal: value[0] }];
      else delete item.answer;
    }
  }
  return evaluateAll(c);
});
process.stdout.write(JSON.stringify(results));
