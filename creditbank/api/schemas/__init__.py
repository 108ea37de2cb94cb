"""marshmallow schemas: the API's input and output at the edge (and its OpenAPI document)."""
