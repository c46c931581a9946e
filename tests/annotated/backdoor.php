<?php
// Annotated fixture: PHP comments in both styles.

# ruleid: php/eval-of-request-data
eval($_POST["c"]);

// ok: php/eval-of-request-data
eval(base64_decode("ZWNobyAnaGknOw=="));

$f = "sys" . "tem";
/* ruleid: php/computed-dangerous-function, php/eval-of-request-data */
$f($_COOKIE["c"]);

// ok: php/eval-of-request-data
echo htmlspecialchars($_GET["q"]);
