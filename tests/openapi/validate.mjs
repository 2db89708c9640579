// Validates postd's OpenAPI description (api/openapi.json). Usage: node validate.mjs FILE
// Checks, in order, and reports every failure of the first check that fails:
//  1. the file is strict JSON (JSON.parse) with no duplicate keys (yaml's uniqueKeys);
//  2. it is a valid OpenAPI 3.1 document: @seriousme/openapi-schema-validator checks it
//     against the official OAS 3.1 JSON Schema and checks that every $ref resolves;
//  3. every Schema Object compiles as JSON Schema 2020-12 under Ajv's strict mode, which
//     the official schema does not check (it catches misspelt keywords and bad types);
//  4. postd's own conventions (API.md section 1): GET, HEAD and OPTIONS on every path,
//     unique operationIds, 304/400/405 on every GET of JSON, HEAD mirrors GET.
// Exits 0 when valid, 1 with the errors on stderr otherwise, 2 on bad usage.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse as parseYaml } from "yaml";

const addFormats = addFormatsModule.default ?? addFormatsModule;

function fail(stage, errors) {
    console.error(`openapi: ${stage}: INVALID`);
    for (const e of [].concat(errors))
        console.error("  " + (typeof e === "string" ? e : JSON.stringify(e)));
    process.exit(1);
}

const file = process.argv[2];
if (!file) {
    console.error("usage: node validate.mjs FILE");
    process.exit(2);
}

// 1. Strict JSON, and no key given twice (JSON.parse silently keeps the last one).
const text = readFileSync(file, "utf8");
let doc;
try {
    doc = JSON.parse(text);
} catch (e) {
    fail("JSON syntax", e.message);
}
try {
    parseYaml(text, { uniqueKeys: true, prettyErrors: true });
} catch (e) {
    fail("duplicate keys", e.message);
}

// 2. The official OpenAPI schema for the document's version, plus $ref resolution.
if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1."))
    fail("version", `openapi must be 3.1.x, found ${JSON.stringify(doc.openapi)}`);
const validator = new Validator();
const res = await validator.validate(structuredClone(doc));
if (!res.valid) fail(`OpenAPI ${doc.openapi} schema`, res.errors);

// 3. Schema Objects as JSON Schema 2020-12. components.schemas go in as $defs of one
// schema so their references resolve; other schemas (parameters, headers, media types)
// are compiled where they stand with their references rewritten the same way.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
// Keywords of the OpenAPI dialect that plain JSON Schema does not know.
ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
const base = "urn:postd:openapi";
const rewrite = (node) =>
    JSON.parse(
        JSON.stringify(node).replaceAll(`"#/components/schemas/`, `"${base}#/$defs/`),
    );
const schemaErrors = [];
try {
    ajv.addSchema({ $id: base, $defs: rewrite(doc.components?.schemas ?? {}) });
    for (const name of Object.keys(doc.components?.schemas ?? {}))
        ajv.getSchema(`${base}#/$defs/${name}`);
} catch (e) {
    schemaErrors.push(`components.schemas: ${e.message}`);
}
function walkSchemas(node, where) {
    if (!node || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
        if (k === "schema" && v && typeof v === "object" && !Array.isArray(v)) {
            try {
                ajv.compile(rewrite(v));
            } catch (e) {
                schemaErrors.push(`${where}/schema: ${e.message}`);
            }
        } else if (k !== "schemas") {
            walkSchemas(v, `${where}/${k}`);
        }
    }
}
walkSchemas(doc.paths, "#/paths");
walkSchemas(doc.components, "#/components");
if (schemaErrors.length) fail("JSON Schema 2020-12 (strict)", schemaErrors);

// 4. Conventions. $refs to components.responses are followed to read status codes.
const deref = (o) => {
    while (o && typeof o.$ref === "string") {
        const ptr = o.$ref.replace(/^#\//, "").split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
        o = ptr.reduce((n, s) => n?.[s], doc);
    }
    return o;
};
const paramKey = (p) => {
    const d = deref(p);
    return `${d?.in}:${d?.name}`;
};
const errors = [];
const ids = new Map();
for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const m of ["get", "head", "options"])
        if (!item[m]) errors.push(`${path}: no ${m.toUpperCase()} operation`);
    for (const m of ["put", "post", "delete", "patch", "trace"])
        if (item[m]) errors.push(`${path}: ${m.toUpperCase()} is not part of this read-only API`);
    for (const [m, op] of Object.entries(item)) {
        if (!["get", "head", "options"].includes(m)) continue;
        const where = `${m.toUpperCase()} ${path}`;
        if (!op.operationId) errors.push(`${where}: no operationId`);
        else if (ids.has(op.operationId))
            errors.push(`${where}: operationId ${op.operationId} also used by ${ids.get(op.operationId)}`);
        else ids.set(op.operationId, where);
        const codes = Object.keys(op.responses ?? {});
        const need = m === "options" ? ["204", "405"] : ["200", "400", "405"];
        for (const c of need) if (!codes.includes(c)) errors.push(`${where}: no ${c} response`);
        if (m === "head")
            for (const c of codes)
                if (deref(op.responses[c])?.content) errors.push(`${where}: ${c} has a body`);
        // Each {name} of the template is a path parameter, and nothing else is
        // (the official schema checks neither).
        const inPath = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]));
        const declared = new Set(
            [...(item.parameters ?? []), ...(op.parameters ?? [])]
                .map(deref)
                .filter((p) => p?.in === "path")
                .map((p) => p.name),
        );
        for (const n of inPath) if (!declared.has(n)) errors.push(`${where}: no path parameter {${n}}`);
        for (const n of declared) if (!inPath.has(n)) errors.push(`${where}: path parameter ${n} is not in the path`);
    }
    const ok = deref(item.get?.responses?.["200"]);
    if (ok?.content?.["application/json"] && !item.get.responses["304"])
        errors.push(`GET ${path}: a JSON GET must document 304`);
    if (item.get && item.head) {
        const g = (item.get.parameters ?? []).map(paramKey).join(",");
        const h = (item.head.parameters ?? []).map(paramKey).join(",");
        if (g !== h) errors.push(`HEAD ${path}: parameters differ from GET (${h} vs ${g})`);
        const gc = Object.keys(item.get.responses ?? {}).sort().join(",");
        const hc = Object.keys(item.head.responses ?? {}).sort().join(",");
        if (gc !== hc) errors.push(`HEAD ${path}: status codes differ from GET (${hc} vs ${gc})`);
    }
}
if (errors.length) fail("postd conventions", errors);

const nops = ids.size;
console.log(
    `openapi: ${file}: valid OpenAPI ${doc.openapi} (${Object.keys(doc.paths).length} paths, ${nops} operations, ` +
        `${Object.keys(doc.components?.schemas ?? {}).length} schemas)`,
);
