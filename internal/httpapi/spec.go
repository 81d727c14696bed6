package httpapi

import _ "embed"

//go:generate cp ../../openapi.yaml openapi.yaml

// Spec is the OpenAPI contract, served at /openapi.yaml. It is a copy of the
// repository's top-level openapi.yaml (go:embed cannot reach a parent
// directory); TestSpecMatchesRoot fails when the two drift.
//
//go:embed openapi.yaml
var Spec []byte
