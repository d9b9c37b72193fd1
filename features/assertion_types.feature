@assertions
Feature: Client assertion types and the assertion callback
  What the assertion callback returns decides the client_assertion_type:
  a bare string or an assertion-response object without certificate gives
  jwt-bearer; a response carrying a token-binding certificate gives jwt-pop,
  and that certificate is the TLS client certificate (mTLS). With mtls_pop
  the token is bound to the certificate and cached by its thumbprint
  (docs/protocol.md §2). The callback learns who it signs for (docs/protocol.md §3).

  Here agent A's callback returns a T1 the blueprint acquired for agent A
  beforehand (a valid federated credential for agent A).

  Background:
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1

  @requires-fmi_path
  Scenario: A callback returning a string gives jwt-bearer
    Given agent A whose assertion callback returns T1 as a string
    When agent A acquires an app token
    Then the token came from the identity provider
    And the last request authenticated with jwt_bearer
    And the last request's "client_assertion_type" was "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    And the last request presented no client certificate on TLS

  @requires-fmi_path @requires-assertion_response
  Scenario: An assertion response without certificate gives jwt-bearer
    Given agent A whose assertion callback returns T1 as an assertion response
    When agent A acquires an app token
    Then the token came from the identity provider
    And the last request authenticated with jwt_bearer
    And the last request presented no client certificate on TLS

  @requires-fmi_path @requires-jwt_pop
  Scenario: An assertion response with a token-binding certificate gives jwt-pop over mTLS
    Given agent A whose assertion callback returns T1 with a token-binding certificate
    When agent A acquires an app token
    Then the token request bodies match the snapshot
    And the token came from the identity provider
    And the token's type is "Bearer"
    And the last request authenticated with jwt_pop
    And the last request's "client_assertion_type" was "urn:ietf:params:oauth:client-assertion-type:jwt-pop"
    And the last request presented the token-binding certificate on TLS

  # jwt-pop means the assertion is bound to the TLS client certificate: the
  # IdP refuses it without one. No client sends that, so it is checked once
  # per run with the IdP's other refusals (idp_validation.feature, "a jwt-pop
  # assertion without a client certificate").

  @requires-fmi_path @requires-mtls_pop @requires-cache
  Scenario: An mtls_pop token is bound to the certificate; another certificate bypasses the cache
    Given agent A whose assertion callback returns T1 with a token-binding certificate
    When agent A acquires an mtls_pop app token
    Then agent A's cache keys match the snapshot
    And the token came from the identity provider
    And the token's type is "mtls_pop"
    And the last request's "token_type" was "mtls_pop"
    And the last request presented the token-binding certificate on TLS
    And the token is remembered as POP1
    And agent A's cached mtls_pop token is bound to the token-binding certificate
    When agent A acquires an mtls_pop app token
    Then the token came from the cache
    And the token is the one remembered as POP1
    When the token-binding certificate is replaced by a new one
    And agent A acquires an mtls_pop app token
    Then the token came from the identity provider
    And the token is not the one remembered as POP1
    And the last request presented the token-binding certificate on TLS
    And agent A's cached mtls_pop token is bound to the token-binding certificate
    And agent A's cache holds 1 access token
    And exactly 3 requests reached the IdP

  @requires-fmi_path @requires-context_callback
  Scenario: The callback sees the client id, the token endpoint and the fmi path
    Given agent A whose assertion callback gets T1 from the blueprint for the request's fmi path
    When agent A acquires an app token for fmi path "agent A"
    Then the token came from the identity provider
    And agent A's assertion callback was last called with its client id, the token endpoint and fmi path "agent A"
    And the last request came from agent A with fmi path "agent A"
    And exactly 2 requests reached the IdP
