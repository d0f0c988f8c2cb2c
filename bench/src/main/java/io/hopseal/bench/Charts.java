package io.hopseal.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.File;
import java.io.IOException;
import java.text.DecimalFormat;
import java.text.NumberFormat;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/** Headless PNG bar charts (JFreeChart). */
public final class Charts {
    private Charts() {
    }

    static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2)
    };

    /** Writes a line chart: one line per series of {@code data}, x and y as numbers. */
    public static void line(File file, String title, String xLabel, String yLabel,
                            org.jfree.data.xy.XYSeriesCollection data, int width, int height) throws IOException {
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                data.getSeriesCount() > 1, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        org.jfree.chart.plot.XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xcccccc));
        plot.setDomainGridlinePaint(new Color(0xcccccc));
        plot.setOutlineVisible(false);
        ((NumberAxis) plot.getRangeAxis()).setNumberFormatOverride(new DecimalFormat("#,##0.#"));
        for (int i = 0; i < data.getSeriesCount(); i++) {
            plot.getRenderer().setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            plot.getRenderer().setSeriesStroke(i, new BasicStroke(2f));
        }
        ChartUtils.saveChartAsPNG(file, chart, width, height);
    }

    /**
     * Writes a grouped bar chart: one group per column key, one bar per row key (series).
     *
     * @param log        a logarithmic value axis (for values spanning decades)
     * @param labelFormat format of the value printed on each bar, or null for none
     */
    public static void bar(File file, String title, String categoryLabel, String valueLabel,
                           DefaultCategoryDataset data, boolean log, NumberFormat labelFormat, int width, int height)
            throws IOException {
        JFreeChart chart = ChartFactory.createBarChart(title, categoryLabel, valueLabel, data, PlotOrientation.VERTICAL,
                data.getRowCount() > 1, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xcccccc));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setOutlineVisible(false);
        if (log) {
            double min = Double.MAX_VALUE;
            double max = 0;
            for (int r = 0; r < data.getRowCount(); r++) {
                for (int c = 0; c < data.getColumnCount(); c++) {
                    Number n = data.getValue(r, c);
                    if (n != null && n.doubleValue() > 0) {
                        min = Math.min(min, n.doubleValue());
                        max = Math.max(max, n.doubleValue());
                    }
                }
            }
            LogAxis axis = new LogAxis(valueLabel);
            axis.setBase(10);
            axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
            axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0)); // one tick per power of ten
            axis.setMinorTickMarksVisible(true);
            if (max > 0) {
                axis.setRange(Math.pow(10, Math.floor(Math.log10(min))), Math.pow(10, Math.ceil(Math.log10(max * 2))));
            }
            plot.setRangeAxis(axis);
        } else {
            NumberAxis axis = (NumberAxis) plot.getRangeAxis();
            axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
            axis.setUpperMargin(0.15);
        }
        CategoryAxis cat = plot.getDomainAxis();
        cat.setCategoryLabelPositions(data.getColumnCount() > 5 ? CategoryLabelPositions.UP_45
                : CategoryLabelPositions.STANDARD);
        cat.setMaximumCategoryLabelLines(3);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        if (log) {
            r.setBase(1e-9);
            r.setIncludeBaseInRange(false);
        }
        for (int i = 0; i < data.getRowCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        if (labelFormat != null) {
            r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", labelFormat));
            r.setDefaultItemLabelsVisible(true);
            r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            r.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12,
                    TextAnchor.BOTTOM_CENTER));
        }
        ChartUtils.saveChartAsPNG(file, chart, width, height);
    }
}
