/* The record grids' numbers written as the rest of the page writes them (dashboards/i18n.py
   `number`): 1.234,5 in Vietnamese, 1,234.5 in English. AG Grid calls it by name from the
   columns' `valueFormatter` (dashboards/components/grid.py). */
(function () {
  'use strict';
  const funcs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  funcs.iocNumber = function (value, locale) {
    return typeof value === 'number'
      ? value.toLocaleString(locale, { maximumFractionDigits: 3 })
      : value;
  };
})();
