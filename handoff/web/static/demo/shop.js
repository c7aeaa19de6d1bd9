/* Demo storefront only: lets ?locale=xx-YY stand in for a shop's localized pages by setting
   <html lang> before the chat widget (an async script further down) reads it. */
(function () {
  "use strict";
  var locale = new URLSearchParams(location.search).get("locale");
  if (locale && /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(locale)) {
    document.documentElement.lang = locale;
  }
})();
